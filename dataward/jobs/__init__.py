"""Where jobs run (pipeline steps, batch jobs): a dataset's fingerprint, checked in place."""
