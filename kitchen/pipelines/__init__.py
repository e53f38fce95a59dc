"""Pipelines: files -> DAG, node runners, checks, reports."""
