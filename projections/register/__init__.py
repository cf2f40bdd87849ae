"""The register: who the members are on any date, and the movements the annual figures count."""
