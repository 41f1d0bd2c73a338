"""Tests of the embedded local AWS (sestui.sandbox); the fixtures are those of tests/conftest.py."""
