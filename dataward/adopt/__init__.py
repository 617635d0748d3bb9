"""`dataward init`: what a repository needs to adopt dataward, planned, shown, then applied.

The plan is pure (files to write or update, commands to run, files kept as they are); only
`apply` touches the repository, and a file of the user's is never overwritten.
"""
