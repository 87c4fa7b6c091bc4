typedef int ps_net_placeholder_t;
