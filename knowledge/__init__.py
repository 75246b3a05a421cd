"""Guideline knowledge base: markdown corpus -> citable passages -> Chroma index -> hybrid retrieval.

This package never imports `coach`: it is the library the coach stands on.
"""
