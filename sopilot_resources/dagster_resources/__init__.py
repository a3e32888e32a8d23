"""Thin ``dg.ConfigurableResource`` wrappers over the plain-Python toolbox."""
