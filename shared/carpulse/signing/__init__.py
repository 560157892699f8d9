"""Report signing: our report CA, the signing certificate, and PAdES signatures with pyHanko.

The report-signing key is used for nothing else (never the Tesla partner key). In the cloud it is an
asymmetric EC P-256 key in Cloud KMS and only digests travel to it (gcp/kms_signing.py); locally a
key held by the Secret Manager stand-in does the same job behind the same SigningKey port.
"""
