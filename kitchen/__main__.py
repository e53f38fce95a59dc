from kitchen.cli.main import run

run()
