"""Flood core: a PetaBencana snapshot and population in, people affected and their needs out."""
