"""`dataward remote audit`: every object any branch or tag of the registry (and of other
repositories pushing to the same remote) references, checked as dvc-pushed checks one
revision (missing, corrupt, archived, restoring, unverified), and what the remote holds that
nothing references, as a garbage-collection plan. dataward deletes nothing.

collect reads the references from git, `dvc_pushed.remote.Verifier` judges them against one
full listing of each remote, plan turns the rest into the plan, cli wires it to the runner.
"""
