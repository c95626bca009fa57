"""Plumbing and reusable models for the course *Autoencoders in PyTorch*.

Each module holds one concept; the notebooks under ``book/`` import what they need.
"""

__version__ = "0.1.0"
