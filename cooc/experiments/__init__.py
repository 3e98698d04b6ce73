"""Drivers that combine stages (count, embed, evaluate, train) into the papers' experiments."""
