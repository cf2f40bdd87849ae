"""The `coopledger` command line: parse, make one library call, render."""
