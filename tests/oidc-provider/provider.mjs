// A real OpenID Connect provider for Chronique's sign-in tests: the certified `oidc-provider`
// package (pinned in package-lock.json), on a loopback port, with one confidential client and
// test users. Never for production.
//
// Settings, as environment variables:
// - OIDC_PORT: the port (0: any free one);
// - OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URI: the client Chronique is;
// - OIDC_USERS: JSON, login → claims, e.g. {"alice": {"email": "alice@example.fr",
//   "email_verified": true, "given_name": "Alice", "usual_name": "Martin"}};
// - OIDC_ID_TOKEN_TTL: seconds an ID token lives (default 3600).
//
// It prints `ready <issuer>` on standard output once it listens. Logins are the dev
// interactions' form (any password), the consent is the form that follows.
import Provider from 'oidc-provider';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';

const env = process.env;
// Standard output says only `ready <issuer>`: the test reads that line and stops reading, so the
// provider's own notices go to standard error.
console.log = console.info = console.error;
const users = JSON.parse(env.OIDC_USERS || '{}');

// A signing key made at start: nothing is kept between runs.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-' + randomBytes(4).toString('hex'), use: 'sig', alg: 'RS256' };

const server = http.createServer();
server.listen(Number(env.OIDC_PORT || 0), '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: env.OIDC_CLIENT_ID || 'chronique',
      client_secret: env.OIDC_CLIENT_SECRET || 'secret',
      redirect_uris: [env.OIDC_REDIRECT_URI || 'http://127.0.0.1:8080/auth/callback'],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    // ProConnect's scopes: openid email given_name usual_name.
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      given_name: ['given_name'],
      usual_name: ['usual_name'],
    },
    // The claims go in the ID token itself, as ProConnect's do not need a userinfo call.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    ttl: { IdToken: Number(env.OIDC_ID_TOKEN_TTL || 3600) },
    features: { devInteractions: { enabled: true } },
    async findAccount(ctx, id) {
      const claims = users[id];
      if (!claims) return undefined;
      return { accountId: id, async claims() { return { sub: id, ...claims }; } };
    },
  });
  // Plain HTTP on loopback: the provider must not insist on TLS.
  provider.proxy = true;
  server.on('request', provider.callback());
  process.stdout.write(`ready ${issuer}\n`);
});

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
