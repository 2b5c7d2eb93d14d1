"""Readers that turn files people bring into data the services apply."""
