"""Inside the sandbox child: loading the module and running each kind of expectation."""
