"""Cases (`case_`): manual reviews of inquiries, accounts, reports and verifications, per Persona's Cases API."""
