from realtime.cli.main import main

main()
