/* Service defaulting, strategy fix-ups and validation: one table row per upstream rule, each asserting
 * the exact field path and message (and the number of causes, so an extra error fails too). */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lib/service.h"

/* JSON written with single quotes, for readable rows. */
static json_t *J(const char *s)
{
	char *d = strdup(s);
	json_error_t e;
	json_t *v;

	for (char *p = d; *p; p++)
		if (*p == '\'')
			*p = '"';
	v = json_loads(d, 0, &e);
	if (!v)
		fprintf(stderr, "  bad test JSON: %s: %s\n", e.text, s);
	free(d);
	return v;
}

/* RFC 7386 merge patch: null deletes, objects merge, anything else replaces. */
static void merge(json_t *dst, json_t *patch)
{
	const char *k;
	json_t *v;

	json_object_foreach(patch, k, v) {
		json_t *d = json_object_get(dst, k);

		if (json_is_null(v))
			json_object_del(dst, k);
		else if (json_is_object(v) && json_is_object(d))
			merge(d, v);
		else
			json_object_set(dst, k, v);
	}
}

static const char *const bases[] = {
	['C'] = "{'metadata':{'name':'s','namespace':'default'},'spec':{'type':'ClusterIP','clusterIP':'10.43.0.10',"
		"'clusterIPs':['10.43.0.10'],'ipFamilies':['IPv4'],'ipFamilyPolicy':'SingleStack','sessionAffinity':'None',"
		"'internalTrafficPolicy':'Cluster','selector':{'app':'a'},"
		"'ports':[{'name':'http','port':80,'protocol':'TCP','targetPort':80}]}}",
	['N'] = "{'metadata':{'name':'s','namespace':'default'},'spec':{'type':'NodePort','clusterIP':'10.43.0.10',"
		"'clusterIPs':['10.43.0.10'],'ipFamilies':['IPv4'],'ipFamilyPolicy':'SingleStack','sessionAffinity':'None',"
		"'internalTrafficPolicy':'Cluster','externalTrafficPolicy':'Cluster',"
		"'ports':[{'name':'http','port':80,'protocol':'TCP','targetPort':80,'nodePort':30001}]}}",
	['L'] = "{'metadata':{'name':'s','namespace':'default'},'spec':{'type':'LoadBalancer','clusterIP':'10.43.0.10',"
		"'clusterIPs':['10.43.0.10'],'ipFamilies':['IPv4'],'ipFamilyPolicy':'SingleStack','sessionAffinity':'None',"
		"'internalTrafficPolicy':'Cluster','externalTrafficPolicy':'Cluster','allocateLoadBalancerNodePorts':true,"
		"'ports':[{'name':'http','port':80,'protocol':'TCP','targetPort':80,'nodePort':30001}]}}",
	['E'] = "{'metadata':{'name':'s','namespace':'default'},'spec':{'type':'ExternalName','externalName':'example.com',"
		"'sessionAffinity':'None','ports':[{'name':'http','port':80,'protocol':'TCP','targetPort':80}]}}",
};

struct row {
	const char *name;
	char base;          /* C, N, L, E */
	const char *patch;  /* merge patch on the base */
	const char *old;    /* update: merge patch on the same base for the old object; NULL on create */
	int n;              /* expected number of causes */
	const char *field;  /* one of them; NULL when n == 0 */
	const char *msg;
};

#define RFC1123_LABEL "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and " \
	"must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation " \
	"is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
#define RFC1123_SUBDOMAIN "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or " \
	"'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is " \
	"'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define QNAME "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an " \
	"alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is " \
	"'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define PORTNUM "must be between 1 and 65535, inclusive"
#define BADIP "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"

static const struct row rows[] = {
	{ "valid ClusterIP", 'C', "{}", NULL, 0, NULL, NULL },
	{ "valid NodePort", 'N', "{}", NULL, 0, NULL, NULL },
	{ "valid LoadBalancer", 'L', "{}", NULL, 0, NULL, NULL },
	{ "valid ExternalName, trailing dot", 'E', "{'spec':{'externalName':'example.com.'}}", NULL, 0, NULL, NULL },
	{ "valid headless without ports", 'C', "{'spec':{'clusterIP':'None','clusterIPs':['None'],'ports':null}}", NULL, 0,
	  NULL, NULL },

	/* ports */
	{ "ports required", 'C', "{'spec':{'ports':null}}", NULL, 1, "spec.ports", "Required value" },
	{ "port name required when several", 'C',
	  "{'spec':{'ports':[{'name':'a','port':80,'protocol':'TCP','targetPort':80},{'port':81,'protocol':'TCP','targetPort':81}]}}",
	  NULL, 1, "spec.ports[1].name", "Required value" },
	{ "port name a DNS-1123 label", 'C', "{'spec':{'ports':[{'name':'HTTP','port':80,'protocol':'TCP','targetPort':80}]}}",
	  NULL, 1, "spec.ports[0].name", "Invalid value: \"HTTP\": " RFC1123_LABEL },
	{ "port names unique", 'C',
	  "{'spec':{'ports':[{'name':'a','port':80,'protocol':'TCP','targetPort':80},{'name':'a','port':81,'protocol':'TCP','targetPort':81}]}}",
	  NULL, 1, "spec.ports[1].name", "Duplicate value: \"a\"" },
	{ "port 0", 'C', "{'spec':{'ports':[{'name':'a','port':0,'protocol':'TCP','targetPort':80}]}}", NULL, 1,
	  "spec.ports[0].port", "Invalid value: 0: " PORTNUM },
	{ "port 65536", 'C', "{'spec':{'ports':[{'name':'a','port':65536,'protocol':'TCP','targetPort':80}]}}", NULL, 1,
	  "spec.ports[0].port", "Invalid value: 65536: " PORTNUM },
	{ "protocol supported", 'C', "{'spec':{'ports':[{'name':'a','port':80,'protocol':'ICMP','targetPort':80}]}}", NULL,
	  1, "spec.ports[0].protocol", "Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\"" },
	{ "protocol required", 'C', "{'spec':{'ports':[{'name':'a','port':80,'targetPort':80}]}}", NULL, 1,
	  "spec.ports[0].protocol", "Required value" },
	{ "targetPort number", 'C', "{'spec':{'ports':[{'name':'a','port':80,'protocol':'TCP','targetPort':70000}]}}",
	  NULL, 1, "spec.ports[0].targetPort", "Invalid value: 70000: " PORTNUM },
	{ "targetPort name too long", 'C',
	  "{'spec':{'ports':[{'port':80,'protocol':'TCP','targetPort':'abcdefghijklmnop'}]}}", NULL, 1,
	  "spec.ports[0].targetPort", "Invalid value: \"abcdefghijklmnop\": must be no more than 15 characters" },
	{ "targetPort name charset", 'C', "{'spec':{'ports':[{'port':80,'protocol':'TCP','targetPort':'ht_tp'}]}}", NULL, 1,
	  "spec.ports[0].targetPort",
	  "Invalid value: \"ht_tp\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)" },
	{ "targetPort name needs a letter", 'C', "{'spec':{'ports':[{'port':80,'protocol':'TCP','targetPort':'80-80'}]}}",
	  NULL, 1, "spec.ports[0].targetPort", "Invalid value: \"80-80\": must contain at least one letter (a-z)" },
	{ "targetPort name no --", 'C', "{'spec':{'ports':[{'port':80,'protocol':'TCP','targetPort':'a--b'}]}}", NULL, 1,
	  "spec.ports[0].targetPort", "Invalid value: \"a--b\": must not contain consecutive hyphens" },
	{ "targetPort name no edge -", 'C', "{'spec':{'ports':[{'port':80,'protocol':'TCP','targetPort':'web-'}]}}", NULL,
	  1, "spec.ports[0].targetPort", "Invalid value: \"web-\": must not begin or end with a hyphen" },
	{ "duplicate protocol+port", 'C',
	  "{'spec':{'ports':[{'name':'a','port':80,'protocol':'TCP','targetPort':80},{'name':'b','port':80,'protocol':'TCP','targetPort':81}]}}",
	  NULL, 1, "spec.ports[1]",
	  "Duplicate value: core.ServicePort{Name:\"\", Protocol:\"TCP\", AppProtocol:(*string)(nil), Port:80, "
	  "TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}" },
	{ "same port, other protocol is fine", 'C',
	  "{'spec':{'ports':[{'name':'a','port':53,'protocol':'TCP','targetPort':53},{'name':'b','port':53,'protocol':'UDP','targetPort':53}]}}",
	  NULL, 0, NULL, NULL },
	{ "duplicate protocol+nodePort", 'N',
	  "{'spec':{'ports':[{'name':'a','port':80,'protocol':'TCP','targetPort':80,'nodePort':30001},"
	  "{'name':'b','port':81,'protocol':'TCP','targetPort':81,'nodePort':30001}]}}",
	  NULL, 1, "spec.ports[1].nodePort", "Duplicate value: 30001" },
	{ "nodePort forbidden for ClusterIP", 'C',
	  "{'spec':{'ports':[{'name':'a','port':80,'protocol':'TCP','targetPort':80,'nodePort':30001}]}}", NULL, 1,
	  "spec.ports[0].nodePort", "Forbidden: may not be used when `type` is 'ClusterIP'" },
	{ "appProtocol a qualified name", 'C',
	  "{'spec':{'ports':[{'name':'a','port':80,'protocol':'TCP','targetPort':80,'appProtocol':'h 2'}]}}", NULL, 1,
	  "spec.ports[0].appProtocol", "Invalid value: \"h 2\": " QNAME },
	{ "selector labels", 'C', "{'spec':{'selector':{'a b':'x'}}}", NULL, 1, "spec.selector",
	  "Invalid value: \"a b\": " QNAME },

	/* type */
	{ "type supported", 'C', "{'spec':{'type':'Foo'}}", NULL, 1, "spec.type",
	  "Unsupported value: \"Foo\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"" },
	{ "type required", 'C', "{'spec':{'type':null,'internalTrafficPolicy':null}}", NULL, 1, "spec.type",
	  "Required value" },

	/* clusterIP / clusterIPs / families */
	{ "clusterIP valid", 'C', "{'spec':{'clusterIP':'10.43.0.300','clusterIPs':['10.43.0.300']}}", NULL, 1,
	  "spec.clusterIPs[0]", "Invalid value: \"10.43.0.300\": " BADIP },
	{ "None only alone", 'C',
	  "{'spec':{'clusterIP':'None','clusterIPs':['None','10.43.0.1'],'ipFamilies':null,'ipFamilyPolicy':null}}",
	  NULL, 1, "spec.clusterIPs",
	  "Invalid value: []string{\"None\", \"10.43.0.1\"}: 'None' must be the first and only value" },
	{ "None not for NodePort", 'N', "{'spec':{'clusterIP':'None','clusterIPs':['None'],'ipFamilies':null}}", NULL, 1,
	  "spec.clusterIPs[0]", "Invalid value: \"None\": may not be set to 'None' for NodePort services" },
	{ "None not for LoadBalancer", 'L', "{'spec':{'clusterIP':'None','clusterIPs':['None'],'ipFamilies':null}}", NULL,
	  1, "spec.clusterIPs[0]", "Invalid value: \"None\": may not be set to 'None' for LoadBalancer services" },
	{ "at most two", 'C',
	  "{'spec':{'clusterIPs':['10.43.0.10','fd00::1','10.43.0.11'],'ipFamilies':null,'ipFamilyPolicy':'RequireDualStack'}}",
	  NULL, 1, "spec.clusterIPs",
	  "Invalid value: []string{\"10.43.0.10\", \"fd00::1\", \"10.43.0.11\"}: may only hold up to 2 values" },
	{ "one per family", 'C',
	  "{'spec':{'clusterIPs':['10.43.0.10','10.43.0.11'],'ipFamilies':null,'ipFamilyPolicy':'RequireDualStack'}}",
	  NULL, 1, "spec.clusterIPs",
	  "Invalid value: []string{\"10.43.0.10\", \"10.43.0.11\"}: may specify no more than one IP for each IP family" },
	{ "first equals clusterIP", 'C', "{'spec':{'clusterIPs':['10.43.0.11']}}", NULL, 1, "spec.clusterIPs",
	  "Invalid value: []string{\"10.43.0.11\"}: first value must match `clusterIP`" },
	{ "clusterIPs need clusterIP", 'C', "{'spec':{'clusterIP':null}}", NULL, 1, "spec.clusterIPs",
	  "Invalid value: []string{\"10.43.0.10\"}: must be empty when `clusterIP` is not specified" },
	{ "clusterIP needs clusterIPs", 'C', "{'spec':{'clusterIPs':null}}", NULL, 1, "spec.clusterIPs",
	  "Required value" },
	{ "ipFamilies supported", 'C', "{'spec':{'ipFamilies':['IPv5']}}", NULL, 1, "spec.ipFamilies[0]",
	  "Unsupported value: \"IPv5\": supported values: \"IPv4\", \"IPv6\"" },
	{ "ipFamilies unique", 'C', "{'spec':{'ipFamilies':['IPv4','IPv4'],'ipFamilyPolicy':'RequireDualStack'}}", NULL, 1,
	  "spec.ipFamilies[1]", "Duplicate value: \"IPv4\"" },
	{ "ipFamilyPolicy supported", 'C', "{'spec':{'ipFamilyPolicy':'Dual'}}", NULL, 1, "spec.ipFamilyPolicy",
	  "Unsupported value: \"Dual\": supported values: \"PreferDualStack\", \"RequireDualStack\", \"SingleStack\"" },
	{ "IP matches its family", 'C', "{'spec':{'clusterIP':'fd00::10','clusterIPs':['fd00::10']}}", NULL, 1,
	  "spec.clusterIPs[0]", "Invalid value: \"fd00::10\": expected an IPv4 value as indicated by `ipFamilies[0]`" },

	/* ExternalName */
	{ "externalName required", 'E', "{'spec':{'externalName':'.'}}", NULL, 1, "spec.externalName", "Required value" },
	{ "externalName a DNS-1123 subdomain", 'E', "{'spec':{'externalName':'foo_bar.com'}}", NULL, 1,
	  "spec.externalName", "Invalid value: \"foo_bar.com\": " RFC1123_SUBDOMAIN },
	{ "ExternalName: no clusterIPs", 'E', "{'spec':{'clusterIP':'10.43.0.10','clusterIPs':['10.43.0.10']}}", NULL, 1,
	  "spec.clusterIPs", "Forbidden: may not be set for ExternalName services" },
	{ "ExternalName: no ipFamilies", 'E', "{'spec':{'ipFamilies':['IPv4']}}", NULL, 1, "spec.ipFamilies",
	  "Forbidden: may not be set for ExternalName services" },
	{ "ExternalName: no ipFamilyPolicy", 'E', "{'spec':{'ipFamilyPolicy':'SingleStack'}}", NULL, 1,
	  "spec.ipFamilyPolicy", "Forbidden: may not be set for ExternalName services" },
	{ "ExternalName without ports", 'E', "{'spec':{'ports':null}}", NULL, 0, NULL, NULL },

	/* session affinity */
	{ "sessionAffinity supported", 'C', "{'spec':{'sessionAffinity':'Sticky'}}", NULL, 1, "spec.sessionAffinity",
	  "Unsupported value: \"Sticky\": supported values: \"ClientIP\", \"None\"" },
	{ "sessionAffinity required", 'C', "{'spec':{'sessionAffinity':null}}", NULL, 1, "spec.sessionAffinity",
	  "Required value" },
	{ "ClientIP needs a config", 'C', "{'spec':{'sessionAffinity':'ClientIP'}}", NULL, 1, "spec.sessionAffinityConfig",
	  "Required value: when session affinity type is ClientIP" },
	{ "timeoutSeconds > 0", 'C',
	  "{'spec':{'sessionAffinity':'ClientIP','sessionAffinityConfig':{'clientIP':{'timeoutSeconds':0}}}}", NULL, 1,
	  "spec.sessionAffinityConfig.clientIP.timeoutSeconds", "Invalid value: 0: must be greater than 0 and less than 86400" },
	{ "timeoutSeconds <= 86400", 'C',
	  "{'spec':{'sessionAffinity':'ClientIP','sessionAffinityConfig':{'clientIP':{'timeoutSeconds':86401}}}}", NULL, 1,
	  "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
	  "Invalid value: 86401: must be greater than 0 and less than 86400" },
	{ "timeoutSeconds 86400 ok", 'C',
	  "{'spec':{'sessionAffinity':'ClientIP','sessionAffinityConfig':{'clientIP':{'timeoutSeconds':86400}}}}", NULL, 0,
	  NULL, NULL },
	{ "None takes no config", 'C', "{'spec':{'sessionAffinityConfig':{'clientIP':{'timeoutSeconds':5}}}}", NULL, 1,
	  "spec.sessionAffinityConfig", "Forbidden: must not be set when session affinity is None" },

	/* externalIPs (a ClusterIP with externalIPs is externally accessible: it needs the policy) */
	{ "externalIP valid", 'C', "{'spec':{'externalIPs':['1.2.3'],'externalTrafficPolicy':'Cluster'}}", NULL, 1,
	  "spec.externalIPs[0]", "Invalid value: \"1.2.3\": " BADIP },
	{ "externalIP not unspecified", 'C', "{'spec':{'externalIPs':['0.0.0.0'],'externalTrafficPolicy':'Cluster'}}",
	  NULL, 1, "spec.externalIPs[0]", "Invalid value: \"0.0.0.0\": may not be unspecified (0.0.0.0)" },
	{ "externalIP not loopback", 'C', "{'spec':{'externalIPs':['127.0.0.2'],'externalTrafficPolicy':'Cluster'}}", NULL,
	  1, "spec.externalIPs[0]", "Invalid value: \"127.0.0.2\": may not be in the loopback range (127.0.0.0/8, ::1/128)" },
	{ "externalIP not loopback v6", 'C', "{'spec':{'externalIPs':['::1'],'externalTrafficPolicy':'Cluster'}}", NULL, 1,
	  "spec.externalIPs[0]", "Invalid value: \"::1\": may not be in the loopback range (127.0.0.0/8, ::1/128)" },
	{ "externalIP not link-local", 'C', "{'spec':{'externalIPs':['169.254.169.254'],'externalTrafficPolicy':'Cluster'}}",
	  NULL, 1, "spec.externalIPs[0]",
	  "Invalid value: \"169.254.169.254\": may not be in the link-local range (169.254.0.0/16, fe80::/10)" },
	{ "externalIP not link-local multicast", 'C',
	  "{'spec':{'externalIPs':['224.0.0.251'],'externalTrafficPolicy':'Cluster'}}", NULL, 1, "spec.externalIPs[0]",
	  "Invalid value: \"224.0.0.251\": may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)" },
	{ "externalIP fine", 'C', "{'spec':{'externalIPs':['192.0.2.7'],'externalTrafficPolicy':'Cluster'}}", NULL, 0, NULL,
	  NULL },

	/* traffic policies */
	{ "externalTrafficPolicy only when externally accessible", 'C', "{'spec':{'externalTrafficPolicy':'Cluster'}}", NULL,
	  1, "spec.externalTrafficPolicy", "Invalid value: \"Cluster\": may only be set for externally-accessible services" },
	{ "externalTrafficPolicy required", 'N', "{'spec':{'externalTrafficPolicy':null}}", NULL, 1,
	  "spec.externalTrafficPolicy", "Required value" },
	{ "externalTrafficPolicy supported", 'N', "{'spec':{'externalTrafficPolicy':'Global'}}", NULL, 1,
	  "spec.externalTrafficPolicy", "Unsupported value: \"Global\": supported values: \"Cluster\", \"Local\"" },
	{ "healthCheckNodePort only for LB+Local", 'N', "{'spec':{'healthCheckNodePort':30005}}", NULL, 1,
	  "spec.healthCheckNodePort",
	  "Invalid value: 30005: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'" },
	{ "healthCheckNodePort required for LB+Local", 'L', "{'spec':{'externalTrafficPolicy':'Local'}}", NULL, 1,
	  "spec.healthCheckNodePort", "Required value" },
	{ "internalTrafficPolicy supported", 'C', "{'spec':{'internalTrafficPolicy':'Node'}}", NULL, 1,
	  "spec.internalTrafficPolicy", "Unsupported value: \"Node\": supported values: \"Cluster\", \"Local\"" },
	{ "internalTrafficPolicy required", 'C', "{'spec':{'internalTrafficPolicy':null}}", NULL, 1,
	  "spec.internalTrafficPolicy", "Required value" },

	/* load balancer fields */
	{ "loadBalancerSourceRanges only for LB", 'C', "{'spec':{'loadBalancerSourceRanges':['10.0.0.0/8']}}", NULL, 1,
	  "spec.LoadBalancerSourceRanges", "Forbidden: may only be used when `type` is 'LoadBalancer'" },
	{ "loadBalancerSourceRanges valid CIDRs", 'L', "{'spec':{'loadBalancerSourceRanges':[' 10.0.0.0/8','10.0.0.0/33']}}",
	  NULL, 1, "spec.LoadBalancerSourceRanges[1]",
	  "Invalid value: \"10.0.0.0/33\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)" },
	{ "source ranges annotation only for LB", 'C',
	  "{'metadata':{'annotations':{'service.beta.kubernetes.io/load-balancer-source-ranges':'10.0.0.0/8'}}}", NULL, 1,
	  "metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]",
	  "Forbidden: may only be used when `type` is 'LoadBalancer'" },
	{ "loadBalancerClass only for LB", 'C', "{'spec':{'loadBalancerClass':'example.com/lb'}}", NULL, 1,
	  "spec.loadBalancerClass", "Forbidden: may only be used when `type` is 'LoadBalancer'" },
	{ "loadBalancerClass a qualified name", 'L', "{'spec':{'loadBalancerClass':'a b'}}", NULL, 1,
	  "spec.loadBalancerClass", "Invalid value: \"a b\": " QNAME },
	{ "allocateLoadBalancerNodePorts only for LB", 'N', "{'spec':{'allocateLoadBalancerNodePorts':false}}", NULL, 1,
	  "spec.allocateLoadBalancerNodePorts", "Forbidden: may only be used when `type` is 'LoadBalancer'" },
	{ "allocateLoadBalancerNodePorts required for LB", 'L', "{'spec':{'allocateLoadBalancerNodePorts':null}}", NULL, 1,
	  "allocateLoadBalancerNodePorts", "Required value" },

	/* update */
	{ "clusterIP immutable", 'C', "{'spec':{'clusterIP':'10.43.0.11','clusterIPs':['10.43.0.11']}}", "{}", 1,
	  "spec.clusterIPs[0]", "Invalid value: []string{\"10.43.0.11\"}: may not change once set" },
	{ "primary clusterIP can not be unset", 'C', "{'spec':{'clusterIP':null,'clusterIPs':null}}", "{}", 1,
	  "spec.clusterIPs[0]", "Invalid value: []string(nil): primary clusterIP can not be unset" },
	{ "releasing the secondary IP needs SingleStack", 'C',
	  "{'spec':{'ipFamilyPolicy':'RequireDualStack','ipFamilies':['IPv4','IPv6']}}",
	  "{'spec':{'clusterIPs':['10.43.0.10','fd00::10'],'ipFamilyPolicy':'RequireDualStack','ipFamilies':['IPv4','IPv6']}}",
	  1, "spec.ipFamilyPolicy",
	  "Invalid value: \"RequireDualStack\": must be set to 'SingleStack' when releasing the secondary clusterIP" },
	{ "ipFamilies immutable", 'C', "{'spec':{'clusterIP':null,'clusterIPs':null,'ipFamilies':['IPv6']}}",
	  "{'spec':{'clusterIP':null,'clusterIPs':null}}", 1, "spec.ipFamilies[0]",
	  "Invalid value: []core.IPFamily{\"IPv6\"}: may not change once set" },
	{ "healthCheckNodePort immutable", 'L', "{'spec':{'externalTrafficPolicy':'Local','healthCheckNodePort':30002}}",
	  "{'spec':{'externalTrafficPolicy':'Local','healthCheckNodePort':30003}}", 1, "spec.healthCheckNodePort",
	  "Forbidden: field is immutable" },
	{ "loadBalancerClass immutable", 'L', "{'spec':{'loadBalancerClass':'example.com/b'}}",
	  "{'spec':{'loadBalancerClass':'example.com/a'}}", 1, "spec.loadBalancerClass",
	  "Invalid value: \"example.com/b\": may not change once set" },
	{ "loadBalancerClass not removable", 'L', "{}", "{'spec':{'loadBalancerClass':'example.com/a'}}", 1,
	  "spec.loadBalancerClass", "Invalid value: \"null\": may not change once set" },
	{ "to ExternalName, clusterIPs may go", 'E', "{}",
	  "{'spec':{'type':'ClusterIP','clusterIP':'10.43.0.10','clusterIPs':['10.43.0.10'],'ipFamilies':['IPv4']}}", 0,
	  NULL, NULL },
};

static json_t *build(char base, const char *patch)
{
	json_t *o = J(bases[(int)base]), *p = J(patch);

	if (o && p)
		merge(o, p);
	json_decref(p);
	return o;
}

static bool has_cause(const json_t *errs, const char *field, const char *msg)
{
	size_t i;
	json_t *c;

	json_array_foreach(errs, i, c)
		if (!strcmp(json_string_value(json_object_get(c, "field")), field) &&
		    !strcmp(json_string_value(json_object_get(c, "message")), msg))
			return true;
	return false;
}

static void dump(const json_t *errs)
{
	char *s = json_dumps(errs, JSON_INDENT(1));

	fprintf(stderr, "    got: %s\n", s ? s : "?");
	free(s);
}

static void test_rules(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		json_t *svc = build(r->base, r->patch), *old = r->old ? build(r->base, r->old) : NULL;
		json_t *errs = json_array();
		int fails = th_checks_failed;

		CHECK(svc != NULL);
		svc_validate(svc, old, errs);
		CHECK_INT(json_array_size(errs), r->n);
		if (r->field)
			CHECK(has_cause(errs, r->field, r->msg));
		if (th_checks_failed != fails) {
			fprintf(stderr, "  row: %s (expected %s: %s)\n", r->name, r->field ? r->field : "-",
				r->msg ? r->msg : "no error");
			dump(errs);
		}
		json_decref(svc);
		json_decref(old);
		json_decref(errs);
	}
}

/* Causes carry upstream's reasons, so the 422 Status says what kind of failure each one is. */
static void test_reasons(void)
{
	json_t *svc = build('C', "{'spec':{'type':'Foo','sessionAffinity':null,'ports':[{'name':'a','port':0,"
				 "'protocol':'TCP','targetPort':80},{'name':'a','port':0,'protocol':'TCP','targetPort':80}]}}");
	json_t *errs = json_array(), *c;
	size_t i;
	int seen = 0;
	static const char *const want[][2] = {
		{ "spec.type", "FieldValueNotSupported" }, { "spec.sessionAffinity", "FieldValueRequired" },
		{ "spec.ports[1]", "FieldValueDuplicate" }, { "spec.ports[0].port", "FieldValueInvalid" },
	};

	svc_validate(svc, NULL, errs);
	json_array_foreach(errs, i, c) {
		const char *f = json_string_value(json_object_get(c, "field"));

		for (size_t w = 0; w < 4; w++) {
			if (!strcmp(f, want[w][0])) {
				CHECK_STR(json_string_value(json_object_get(c, "reason")), want[w][1]);
				seen++;
			}
		}
	}
	CHECK_INT(seen, 4);
	json_decref(svc);
	json_decref(errs);
}

static void test_defaults(void)
{
	json_t *svc = J("{'metadata':{'name':'s'},'spec':{'type':'LoadBalancer','sessionAffinity':'ClientIP',"
			"'ports':[{'port':80},{'port':53,'protocol':'UDP','targetPort':'dns'}]},"
			"'status':{'loadBalancer':{'ingress':[{'ip':'192.0.2.1'}]}}}");
	json_t *spec, *p0;

	svc_default(svc);
	spec = json_object_get(svc, "spec");
	p0 = json_array_get(json_object_get(spec, "ports"), 0);
	CHECK_STR(json_string_value(json_object_get(p0, "protocol")), "TCP");
	CHECK_INT(json_integer_value(json_object_get(p0, "targetPort")), 80);
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(spec, "ports"), 1), "targetPort")),
		  "dns");
	CHECK_INT(json_integer_value(json_object_get(json_object_get(json_object_get(spec, "sessionAffinityConfig"),
									  "clientIP"), "timeoutSeconds")), 10800);
	CHECK_STR(json_string_value(json_object_get(spec, "externalTrafficPolicy")), "Cluster");
	CHECK_STR(json_string_value(json_object_get(spec, "internalTrafficPolicy")), "Cluster");
	CHECK(json_is_true(json_object_get(spec, "allocateLoadBalancerNodePorts")));
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(json_object_get(json_object_get(svc,
		  "status"), "loadBalancer"), "ingress"), 0), "ipMode")), "VIP");
	json_decref(svc);

	/* type defaults to ClusterIP; None drops a config; no externalTrafficPolicy without external access */
	svc = J("{'spec':{'sessionAffinityConfig':{'clientIP':{'timeoutSeconds':5}},'ports':[{'port':80,'targetPort':0}]}}");
	svc_default(svc);
	spec = json_object_get(svc, "spec");
	CHECK_STR(json_string_value(json_object_get(spec, "type")), "ClusterIP");
	CHECK_STR(json_string_value(json_object_get(spec, "sessionAffinity")), "None");
	CHECK(json_object_get(spec, "sessionAffinityConfig") == NULL);
	CHECK(json_object_get(spec, "externalTrafficPolicy") == NULL);
	CHECK(json_object_get(spec, "allocateLoadBalancerNodePorts") == NULL);
	CHECK_INT(json_integer_value(json_object_get(json_array_get(json_object_get(spec, "ports"), 0), "targetPort")), 80);
	json_decref(svc);

	/* ExternalName: no internalTrafficPolicy */
	svc = J("{'spec':{'type':'ExternalName','externalName':'example.com'}}");
	svc_default(svc);
	CHECK(json_object_get(json_object_get(svc, "spec"), "internalTrafficPolicy") == NULL);
	json_decref(svc);
}

static void test_normalize_and_drop(void)
{
	json_t *svc = J("{'spec':{'clusterIP':'10.43.0.5'}}"), *old, *spec;

	/* clusterIPs from clusterIP on create; status cleared */
	json_object_set_new(svc, "status", J("{'loadBalancer':{'ingress':[{'ip':'1.2.3.4'}]}}"));
	svc_prepare_create(svc);
	CHECK_STR(json_string_value(json_array_get(json_object_get(json_object_get(svc, "spec"), "clusterIPs"), 0)),
		  "10.43.0.5");
	CHECK_INT(json_object_size(json_object_get(json_object_get(svc, "status"), "loadBalancer")), 0);
	json_decref(svc);

	/* update: re-applying a manifest without allocated values keeps them (by port name) */
	old = build('L', "{'spec':{'externalTrafficPolicy':'Local','healthCheckNodePort':30009,"
			 "'ports':[{'name':'a','port':80,'protocol':'TCP','targetPort':80,'nodePort':30001},"
			 "{'name':'b','port':81,'protocol':'TCP','targetPort':81,'nodePort':30002}]},"
			 "'status':{'loadBalancer':{'ingress':[{'ip':'192.0.2.1'}]}}}");
	svc = J("{'spec':{'type':'LoadBalancer','externalTrafficPolicy':'Local','ports':[{'name':'b','port':81},"
		"{'name':'a','port':80}]}}");
	svc_default(svc);
	svc_prepare_update(svc, old);
	spec = json_object_get(svc, "spec");
	CHECK_STR(json_string_value(json_object_get(spec, "clusterIP")), "10.43.0.10");
	CHECK_STR(json_string_value(json_array_get(json_object_get(spec, "clusterIPs"), 0)), "10.43.0.10");
	CHECK_INT(json_integer_value(json_object_get(json_array_get(json_object_get(spec, "ports"), 0), "nodePort")), 30002);
	CHECK_INT(json_integer_value(json_object_get(json_array_get(json_object_get(spec, "ports"), 1), "nodePort")), 30001);
	CHECK_INT(json_integer_value(json_object_get(spec, "healthCheckNodePort")), 30009);
	/* status is the old one whatever the client sent */
	json_object_set_new(svc, "status", J("{'loadBalancer':{'ingress':[{'ip':'6.6.6.6'}]}}"));
	svc_finish_update(svc, old);
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(json_object_get(json_object_get(svc,
		  "status"), "loadBalancer"), "ingress"), 0), "ip")), "192.0.2.1");
	json_decref(svc);

	/* LoadBalancer (Local) -> ClusterIP with the old fields still in the body: they are dropped */
	svc = json_deep_copy(old);
	json_object_set_new(json_object_get(svc, "spec"), "type", json_string("ClusterIP"));
	svc_finish_update(svc, old);
	spec = json_object_get(svc, "spec");
	CHECK(json_object_get(json_array_get(json_object_get(spec, "ports"), 0), "nodePort") == NULL);
	CHECK(json_object_get(spec, "healthCheckNodePort") == NULL);
	CHECK(json_object_get(spec, "allocateLoadBalancerNodePorts") == NULL);
	CHECK(json_object_get(spec, "externalTrafficPolicy") == NULL);
	CHECK(json_object_get(spec, "clusterIP") != NULL);
	CHECK_INT(json_object_size(json_object_get(json_object_get(svc, "status"), "loadBalancer")), 0);
	json_decref(svc);

	/* -> ExternalName: clusterIP(s), ipFamilies, ipFamilyPolicy go too */
	svc = json_deep_copy(old);
	json_object_set_new(json_object_get(svc, "spec"), "type", json_string("ExternalName"));
	svc_finish_update(svc, old);
	spec = json_object_get(svc, "spec");
	CHECK(json_object_get(spec, "clusterIP") == NULL);
	CHECK(json_object_get(spec, "clusterIPs") == NULL);
	CHECK(json_object_get(spec, "ipFamilies") == NULL);
	CHECK(json_object_get(spec, "ipFamilyPolicy") == NULL);
	json_decref(svc);

	/* a user-changed nodePort is not dropped: validation must reject it instead */
	svc = json_deep_copy(old);
	json_object_set_new(json_object_get(svc, "spec"), "type", json_string("ClusterIP"));
	json_object_set_new(json_array_get(json_object_get(json_object_get(svc, "spec"), "ports"), 0), "nodePort",
			    json_integer(30100));
	svc_finish_update(svc, old);
	CHECK_INT(json_integer_value(json_object_get(json_array_get(json_object_get(json_object_get(svc, "spec"), "ports"),
								     0), "nodePort")), 30100);
	json_decref(svc);
	json_decref(old);
}

/* Any field of the wrong JSON type is reported, never trusted (nor a crash). */
static void test_types(void)
{
	static const struct {
		const char *json, *field, *msg;
	} rows[] = {
		{ "{'spec':[]}", "spec", "Invalid value: []: must be of type object" },
		{ "{'spec':{'type':5}}", "spec.type", "Invalid value: 5: must be of type string" },
		{ "{'spec':{'clusterIPs':'10.43.0.1'}}", "spec.clusterIPs", "Invalid value: \"10.43.0.1\": must be of type array" },
		{ "{'spec':{'clusterIPs':[1]}}", "spec.clusterIPs[0]", "Invalid value: 1: must be of type string" },
		{ "{'spec':{'ports':[{'port':'80'}]}}", "spec.ports[0].port", "Invalid value: \"80\": must be of type int32" },
		{ "{'spec':{'ports':[{'port':80,'nodePort':4294967296}]}}", "spec.ports[0].nodePort",
		  "Invalid value: 4294967296: must be of type int32" },
		{ "{'spec':{'ports':[{'port':80,'targetPort':true}]}}", "spec.ports[0].targetPort",
		  "Invalid value: true: must be of type int32 or string" },
		{ "{'spec':{'ports':[5]}}", "spec.ports[0]", "Invalid value: 5: must be of type object" },
		{ "{'spec':{'selector':{'a':1}}}", "spec.selector", "Invalid value: 1: must be of type string" },
		{ "{'spec':{'allocateLoadBalancerNodePorts':'yes'}}", "spec.allocateLoadBalancerNodePorts",
		  "Invalid value: \"yes\": must be of type boolean" },
		{ "{'spec':{'sessionAffinityConfig':{'clientIP':{'timeoutSeconds':1.5}}}}",
		  "spec.sessionAffinityConfig.clientIP.timeoutSeconds", "Invalid value: 1.5: must be of type int32" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		json_t *svc = J(rows[i].json), *errs = json_array();

		CHECK_INT(svc_check_types(svc, errs), 1);
		CHECK(has_cause(errs, rows[i].field, rows[i].msg));
		if (!has_cause(errs, rows[i].field, rows[i].msg))
			dump(errs);
		/* and nothing downstream trips over it */
		svc_default(svc);
		svc_prepare_create(svc);
		svc_validate(svc, NULL, errs);
		svc_finish_update(svc, svc);
		json_decref(svc);
		json_decref(errs);
	}
}

int main(void)
{
	TEST_RUN(test_rules);
	TEST_RUN(test_reasons);
	TEST_RUN(test_defaults);
	TEST_RUN(test_normalize_and_drop);
	TEST_RUN(test_types);
	TEST_DONE();
}
