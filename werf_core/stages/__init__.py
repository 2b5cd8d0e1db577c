"""Stage kinds (one module each, behind one interface), digest chaining and the build plan."""
