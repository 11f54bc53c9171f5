# @TEST-DOC: benign_mail_starttls: a mail client's IMAPS connections on 993 time out, then it uses IMAP with STARTTLS on 143 of the same server.
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario benign_mail_starttls_a.pcap >benign_mail_starttls_a.out
# @TEST-EXEC: run-scenario benign_mail_starttls_b.pcap >benign_mail_starttls_b.out
# @TEST-EXEC: btest-diff benign_mail_starttls_a.out
# @TEST-EXEC: btest-diff benign_mail_starttls_b.out
# @TEST-EXEC: btest-diff benign_mail_starttls_a.fallback
# @TEST-EXEC: btest-diff benign_mail_starttls_b.fallback
