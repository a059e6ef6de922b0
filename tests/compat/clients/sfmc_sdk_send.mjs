// sfmc-sdk 2.1.2 (npm; axios + fast-xml-parser) driving the REST Send API of a running Sendwell.
//
// Started by the Python recipe in tests/compat/test_sfmc_sdk.py, inside the same network namespace
// (only loopback) as the server, with these environment variables:
//   SENDWELL_BASE   http://127.0.0.1:PORT
//   SFMC_CLIENT_ID, SFMC_CLIENT_SECRET, SFMC_ACCOUNT_ID   the demo package and MID
//   SFMC_SDK_DIR    the folder where `npm ci` installed tests/compat/node/package-lock.json
// Prints one line "NODE-RESULT <json>" and exits 0, also when a step failed ("error" in the JSON).
//
// The only change to the SDK is the one clients.md describes: its constructor insists on an
// auth_url of the form https://<28 chars>.auth.marketingcloudapis.com/, so it is constructed with
// such a value and `sdk.auth.authObject.auth_url` is then pointed at Sendwell. Every other URL
// (rest_instance_url, soap_instance_url) comes from Sendwell's token reply.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const MARKER = 'NODE-RESULT ';
const BASE_PATH = '/data/v1/integration/send/salesforce/email';
const TERMINAL = ['Complete', 'Error', 'Canceled'];
const PLACEHOLDER_AUTH_URL = `https://mc${'0'.repeat(26)}.auth.marketingcloudapis.com/`;
const env = process.env;
const result = {};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function loadSdk() {
    const require = createRequire(path.join(env.SFMC_SDK_DIR, 'package.json'));
    const entry = require.resolve('sfmc-sdk');
    const manifest = path.join(env.SFMC_SDK_DIR, 'node_modules', 'sfmc-sdk', 'package.json');
    result.sdk_version = JSON.parse(readFileSync(manifest, 'utf8')).version;
    return (await import(pathToFileURL(entry).href)).default;
}

function makeSdk(SDK, secret, options = {}) {
    const sdk = new SDK(
        {
            client_id: env.SFMC_CLIENT_ID,
            client_secret: secret ?? env.SFMC_CLIENT_SECRET,
            account_id: env.SFMC_ACCOUNT_ID,
            auth_url: PLACEHOLDER_AUTH_URL,
        },
        { requestAttempts: 1, retryOnConnectionError: false, ...options }
    );
    sdk.auth.authObject.auth_url = env.SENDWELL_BASE + '/';
    return sdk;
}

/** What a call returned or threw, as plain data. */
async function outcome(call) {
    try {
        return { threw: null, returned: await call() };
    } catch (error) {
        return {
            threw: error.name,
            message: error.message,
            code: error.code ?? null,
            status: error.response?.status ?? null,
            body: error.response?.data ?? null,
        };
    }
}

async function recipe(SDK) {
    const sdk = makeSdk(SDK);

    const assets = await sdk.rest.get('/asset/v1/content/assets');
    result.assets = assets;
    const email = assets.items.find((i) => i.customerKey === 'demo_newsletter');
    // getBulk pages with $page/$pageSize until count is reached.
    const bulk = await sdk.rest.getBulk('/asset/v1/content/assets', 50);
    result.bulk_asset_keys = bulk.items.map((i) => i.customerKey);
    const classes = await sdk.rest.get('/sendwell/v1/sendclassifications');
    const classification = classes.items.find((i) => i.key === 'Default Commercial');
    result.lookups = { EmailId: email.legacyData.legacyId, SendClassificationId: classification.id };
    result.token = {
        rest_instance_url: sdk.auth.authObject.rest_instance_url,
        soap_instance_url: sdk.auth.authObject.soap_instance_url,
        scope: sdk.auth.authObject.scope,
    };

    const definition = {
        Name: 'sfmc-sdk compatibility send',
        EmailId: result.lookups.EmailId,
        SendClassificationId: String(result.lookups.SendClassificationId),
        DedupeByEmail: true,
        Targets: [{ Type: 'Campaign', Name: 'Spring', Id: env.CRM_CAMPAIGN }],
        Exclusions: [{ Type: 'Contact', Name: 'Carl', Id: env.CRM_EXCLUDED_CONTACT }],
    };
    result.definition_sent = definition;
    const created = await sdk.rest.post(BASE_PATH, { EmailDefinition: definition });
    result.create = created;
    const scheduled = await sdk.rest.post(`${BASE_PATH}/${created.DefinitionId}/schedule`, {
        Schedule: { StartImmediately: true, AllRecipientsOptedIn: true },
    });
    result.schedule = scheduled;

    const polled = [];
    const deadline = Date.now() + 60_000;
    let status;
    for (;;) {
        status = await sdk.rest.get(`${BASE_PATH}/instance/${scheduled.InstanceId}`);
        polled.push(status.Status);
        if (TERMINAL.includes(status.Status) || Date.now() > deadline) break;
        await sleep(200);
    }
    result.status = status;
    result.polled_statuses = polled;
    result.definition = await sdk.rest.get(`${BASE_PATH}/${created.DefinitionId}`);

    // The instance's JobId is the SOAP Send ID: read it through the SDK's SOAP client.
    result.soap_send = await outcome(() =>
        sdk.soap.retrieve('Send', ['ID', 'Status', 'NumberSent'], {
            filter: { leftOperand: 'ID', operator: 'equals', rightOperand: String(status.JobId) },
        })
    );

    // Error paths.
    result.unknown_definition = await outcome(() => sdk.rest.get(`${BASE_PATH}/987654321`));
    result.unknown_route = await outcome(() => sdk.rest.get('/data/v1/no-such-route'));
    const wrong = makeSdk(SDK, 'wrong-secret');
    result.wrong_secret = await outcome(() => wrong.rest.get('/asset/v1/content/assets'));
    // A token Sendwell does not know: with two attempts the SDK answers a 401 by fetching a new
    // token and repeating the request once.
    const stale = makeSdk(SDK, undefined, { requestAttempts: 2 });
    await stale.auth.getAccessToken();
    stale.auth.authObject.access_token = 'not-a-token-sendwell-issued';
    const recovered = await outcome(() => stale.rest.get('/sendwell/v1/sendclassifications'));
    result.stale_token = {
        threw: recovered.threw,
        message: recovered.message ?? null,
        count: recovered.returned?.count ?? null,
    };
}

try {
    const SDK = await loadSdk();
    await recipe(SDK);
} catch (error) {
    result.error = `${error.name}: ${error.message}\n${error.stack}\nbody: ${JSON.stringify(
        error.response?.data ?? error.json ?? null
    )}`;
}
process.stdout.write(MARKER + JSON.stringify(result) + '\n');
