"""The data layer: masking rules compiled to SQL, sampling, PII detection."""
