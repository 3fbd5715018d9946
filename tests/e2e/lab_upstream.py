# The lab's upstream resolver (lib.sh lab_upstream): a tiny authoritative server for example.test.
# Answers www.example.test A with 192.0.2.80, its other types with NOERROR and no records, and
# everything else with NXDOMAIN; logs "name qtype" per query to the file named by argv[1].
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 53))
log = open(sys.argv[1], "a", buffering=1)
while True:
    m, peer = s.recvfrom(4096)
    if len(m) < 17:
        continue
    qid = struct.unpack(">H", m[:2])[0]
    o, labels = 12, []
    while o < len(m) and m[o]:
        labels.append(m[o + 1:o + 1 + m[o]].decode("ascii", "replace")); o += 1 + m[o]
    o += 1
    qtype = struct.unpack(">H", m[o:o + 2])[0]
    q, name = m[12:o + 4], ".".join(labels).lower()
    log.write("%s %d\n" % (name, qtype))
    if name == "www.example.test" and qtype == 1:
        rr = struct.pack(">HHHIH", 0xc00c, 1, 1, 30, 4) + socket.inet_aton("192.0.2.80")
        s.sendto(struct.pack(">HHHHHH", qid, 0x8580, 1, 1, 0, 0) + q + rr, peer)
    else:
        rcode = 0 if name == "www.example.test" else 3
        s.sendto(struct.pack(">HHHHHH", qid, 0x8580 | rcode, 1, 0, 0, 0) + q, peer)
