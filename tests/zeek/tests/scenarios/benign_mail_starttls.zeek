# @TEST-DOC: benign_mail_starttls: a mail client's IMAPS connections on 993 time out, then it uses IMAP with STARTTLS on 143 of the same server.
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no): the output of a
# correct package, written from the labels with Scripts/expect-labels (a benign twin of a real app, added before
# it was run with real Zeek: `btest -U` confirms it, or the package must learn the app).
#
# @TEST-EXEC: run-scenario benign_mail_starttls_a.pcap >benign_mail_starttls_a.out
# @TEST-EXEC: run-scenario benign_mail_starttls_b.pcap >benign_mail_starttls_b.out
# @TEST-EXEC: btest-diff benign_mail_starttls_a.out
# @TEST-EXEC: btest-diff benign_mail_starttls_b.out
