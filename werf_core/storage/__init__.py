"""Stages storage: where stage images live (the local Docker engine or a registry), and the records around them."""
