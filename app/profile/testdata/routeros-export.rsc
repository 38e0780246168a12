# 2024-05-01 10:00:00 by RouterOS 7.14.3
/ip firewall filter
add action=accept chain=input comment="defconf: accept established,related,untracked" \
    connection-state=established,related,untracked
add action=add-src-to-address-list address-list=office-allow address-list-timeout=\
    2h chain=input content=second dst-port=5678 packet-size=34 protocol=udp \
    src-address-list=office-stage1
add action=add-src-to-address-list address-list=office-stage1 address-list-timeout=30s \
    chain=input content=first dst-port=1234 packet-size=33 protocol=udp
add action=accept chain=input dst-port=22 protocol=tcp src-address-list=office-allow
add action=drop chain=input comment="defconf: drop all not coming from LAN" in-interface-list=!LAN
add chain=input protocol=tcp dst-port=23 src-address-list=telnet_black action=drop
add chain=input protocol=tcp dst-port=23 action=add-src-to-address-list address-list=telnet_black address-list-timeout=1d
