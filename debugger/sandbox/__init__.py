"""Running code under test in confined child processes, in the user's interpreter."""
