package azure

import "github.com/Azure/azure-sdk-for-go/sdk/azcore"

// ExplainedCredential wraps cred so that a failed token request becomes a
// *skill.ProviderError in words an administrator can act on, with the
// secrets of c scrubbed: what NewClient does for Graph, for clients of
// other Azure APIs (Resource Manager) on their own pipelines.
func ExplainedCredential(cred azcore.TokenCredential, c Config) azcore.TokenCredential {
	return explainedCredential{cred: cred, cfg: c}
}
