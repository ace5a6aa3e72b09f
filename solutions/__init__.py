"""Reference solutions (with ### BEGIN/END SOLUTION markers): the single source of every assignment."""
