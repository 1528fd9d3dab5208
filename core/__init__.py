"""What both `policy` and `infra` stand on: reading input files safely, and the input error.

Imports nothing from either of them.
"""
