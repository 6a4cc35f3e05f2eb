"""Chemistry of one molecule: standardisation, fingerprints and descriptors, properties, ionisation, alerts."""
