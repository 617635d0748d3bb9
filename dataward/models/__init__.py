"""Value objects shared across dataward.

Modules here that hooks import on every commit (findings) use only the standard library;
pydantic models live in their own modules and are imported where they are needed.
"""
