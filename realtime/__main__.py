from realtime.cli import main

main()
