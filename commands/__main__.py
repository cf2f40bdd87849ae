"""`python -m commands` runs the CLI (the tests call it in a real subprocess)."""

from commands.main import main

main()
