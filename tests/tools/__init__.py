"""What ``make strip-samples``, ``make rename`` and ``make new-resource`` run.

They edit the source tree, so they live with the tests that prove them (CI
runs each on a throwaway copy of the kit), not in the service's package.
"""
