"""The ground every app may import and that imports no app: small shared mechanisms."""
