// Commvault REST API access tokens as code. The same provider core as the Node.js package pulumi-commvault-tokens, served as a resource provider plugin for every Pulumi language.
package commvault
