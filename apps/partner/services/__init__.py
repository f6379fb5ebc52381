"""Write use cases of the partner context, one module per topic; one transaction each. Import the topic module
(`from apps.partner.services import kyc` then `kyc.kyc_document_submit(...)`): nothing is re-exported here."""
