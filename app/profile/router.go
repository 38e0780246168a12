package profile

import (
	"github.com/knocker/knocker/knock"
	"github.com/knocker/knocker/knock/routerconf"
)

// RouterSpec describes the router side of p, for knocker router-config NAME
// and the window's Router setup view. The protected service is the verify
// port when the profile has one, else SSH; the family follows the host.
// The router knows it by a name of its own, unique to the profile.
func (p *Profile) RouterSpec() routerconf.Spec {
	protect := routerconf.Protect{Proto: knock.TCP, Port: 22}
	if p.Verify != nil {
		protect.Port = p.Verify.Port
	}
	return routerconf.Spec{
		Name:    routerconf.ProfileName(p.Name, p.ID),
		Steps:   p.Steps,
		Timeout: p.Timeout,
		Protect: protect,
		Family:  routerconf.HostFamily(p.Host, p.Family),
	}
}
