"""Streaming renderers: records → result.json, paged HTML, Markdown.

Each reads records one at a time in the order its module docstring states and
writes as it goes; the shared inputs are in :mod:`exporter.render.model`.
"""
