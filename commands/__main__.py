"""`python -m coopledger.commands` runs the CLI (the tests call it in a real subprocess)."""

from coopledger.commands.main import main

main()
