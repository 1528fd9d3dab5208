"""checkov custom checks: the project's per-resource rules (see README.md and policy/checkov_adapter.py).

checkov loads the .py files of this folder itself (`--external-checks-dir policy/checkov_checks`);
nothing imports this package. Keep every other file type (.json, .yaml) out of it: checkov would read
those as graph checks.
"""
