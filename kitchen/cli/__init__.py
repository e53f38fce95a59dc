"""The command line: parse, call one workflow, render. No logic lives here."""
