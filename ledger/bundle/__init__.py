"""Files copied into the auditor's bundle: ``verify_bundle.py`` runs on the Python standard library alone.

A package only so that the script ships with coopledger; nothing here imports it.
"""
