"""Reusable autoencoder models; each module holds one family."""
