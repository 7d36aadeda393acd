"""The `realtime` command: the root, and where each command group is mounted.

Command modules never import this one back: they define their own Typer app
or plain functions, and this module puts them together.
"""

from __future__ import annotations

import typer

from realtime.cli import ash, data, demo, flood, services, shake, state

app = typer.Typer(
    help="InaSAFE Realtime: turn BMKG ShakeMaps and flood data into impact reports.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(shake.app, name="shake")
app.add_typer(flood.app, name="flood")
app.add_typer(ash.app, name="ash")
app.add_typer(data.app, name="data")
app.add_typer(state.app, name="state")
app.command("demo")(demo.demo)
app.command("config")(services.config)
app.command("monitor")(services.monitor)
app.command("worker")(services.worker)
app.command("status")(services.status)
app.command("push")(services.push)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
