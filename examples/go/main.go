// A Go program: the same three tokens as examples/yaml and examples/python, through the
// generated Go SDK (sdk/go) and the provider plugin pulumi-resource-commvault.
package main

import (
	"pulumi-commvault-tokens/sdk/go/commvault"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		// All (the default scope), with an allow list and a rolling lifetime: extended in place
		// (same id, same secret) whenever less than a third of 90 days is left. A new secret every
		// 30 days; the old one keeps working for 7 more.
		ci, err := commvault.NewAccessToken(ctx, "ci", &commvault.AccessTokenArgs{
			Name:         pulumi.String("go-ci"),
			IpAllowlist:  pulumi.StringArray{pulumi.String("10.20.0.0/16"), pulumi.String("2001:db8:20::/48")},
			RenewableFor: pulumi.String("90d"),
			Rotation: &commvault.AccessTokenRotationArgs{
				EveryDays:   pulumi.Int(30),
				OverlapDays: pulumi.Int(7),
			},
		})
		if err != nil {
			return err
		}

		// Custom: only these API paths; owned by a service account, managed by the admin.
		_, err = commvault.NewAccessToken(ctx, "reports", &commvault.AccessTokenArgs{
			Name:         pulumi.String("go-reports"),
			Scope:        pulumi.String("Custom"),
			ApiEndpoints: pulumi.StringArray{pulumi.String("/client"), pulumi.String("/v4/servergroup")},
			UserName:     pulumi.String("svc-reporting"),
		})
		if err != nil {
			return err
		}

		// Microsoft SCIM: a fixed expiry; its scope can never change in place.
		_, err = commvault.NewAccessToken(ctx, "scim", &commvault.AccessTokenArgs{
			Name:      pulumi.String("go-scim"),
			Scope:     pulumi.String("MicrosoftSCIM"),
			ExpiresIn: pulumi.String("30d"),
		})
		if err != nil {
			return err
		}

		ctx.Export("ciTokenId", ci.TokenId)
		ctx.Export("ciRenewableUntil", ci.RenewableUntil)
		// Secret outputs stay secret: `pulumi stack output --show-secrets ciSecret` prints it.
		ctx.Export("ciSecret", ci.AccessToken)
		return nil
	})
}
