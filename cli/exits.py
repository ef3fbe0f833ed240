"""What a command returns to the shell (scripts and checks rely on it): 0 done, 1 refused or rejected, 2 a usage or
database error (a locked warehouse, nothing to read)."""

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
