// sfmc-sdk 2.1.2's REST helper (sdk.rest) driving the Transactional Messaging API of a running
// Sendwell, and its SOAP helper for the subscribers and events around it.
//
// Started by the Python recipe in tests/compat/test_sfmc_sdk_transactional.py, inside the same
// network namespace (only loopback) as the server, twice: PHASE=send does everything up to the
// deliveries; the recipe then opens and clicks a delivered message over HTTP as a mail client
// would; PHASE=events reads the events back and deletes the definition. Environment:
//   SENDWELL_BASE, SFMC_CLIENT_ID, SFMC_CLIENT_SECRET, SFMC_ACCOUNT_ID, SFMC_SDK_DIR  as in
//   sfmc_sdk_send.mjs; DEFINITION_ID (events phase) the definitionId the send phase created.
// Prints one line "NODE-RESULT <json>" and exits 0, also when a step failed ("error" in the JSON).
//
// As in sfmc_sdk_send.mjs, the SDK is constructed with a placeholder auth_url of the form it
// insists on, then `sdk.auth.authObject.auth_url` is pointed at Sendwell; every other URL comes
// from Sendwell's token reply.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const MARKER = 'NODE-RESULT ';
const DEFS = '/messaging/v1/email/definitions';
const MESSAGES = '/messaging/v1/email/messages';
const KEY = 'order-confirmation';
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

function makeSdk(SDK) {
    const sdk = new SDK(
        {
            client_id: env.SFMC_CLIENT_ID,
            client_secret: env.SFMC_CLIENT_SECRET,
            account_id: env.SFMC_ACCOUNT_ID,
            auth_url: PLACEHOLDER_AUTH_URL,
        },
        { requestAttempts: 1, retryOnConnectionError: false }
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

/** GET the status of a messageKey until its event is one of `wanted` (or 20 s passed). */
async function statusOf(sdk, messageKey, wanted) {
    const deadline = Date.now() + 20_000;
    for (;;) {
        const got = await sdk.rest.get(`${MESSAGES}/${encodeURIComponent(messageKey)}`);
        if (wanted.some((w) => got.eventCategoryType.endsWith(w)) || Date.now() > deadline) {
            return got;
        }
        await sleep(150);
    }
}

const recipient = (contactKey, to, attributes, messageKey) => ({
    contactKey,
    ...(to ? { to } : {}),
    ...(messageKey ? { messageKey } : {}),
    attributes,
});

async function sendPhase(sdk) {
    // Content Builder email, list and subscribers, all through the SDK.
    result.asset = await sdk.rest.post('/asset/v1/content/assets', {
        customerKey: 'order-email',
        name: 'Order confirmation',
        assetType: { name: 'htmlemail', id: 208 },
        views: {
            subjectline: { content: 'Order %%OrderNo%% for %%FirstName%%' },
            html: {
                content:
                    '<p>%%[ SET @n = Propercase(AttributeValue("FirstName")) ]%%Hello %%=v(@n)=%%, ' +
                    '<a href="https://shop.example.test/orders">order %%OrderNo%%</a> ships today.</p>',
            },
            text: { content: 'Hello %%FirstName%%, order %%OrderNo%% ships today.' },
        },
    });
    result.list = await sdk.soap.create('List', { CustomerKey: 'tx-list', ListName: 'Orders' });
    result.unsubscribed = await sdk.soap.create('Subscriber', {
        EmailAddress: 'gone@example.test',
        SubscriberKey: 'c-gone',
        Status: 'Unsubscribed',
    });
    result.held = await sdk.soap.create('Subscriber', {
        EmailAddress: 'held@example.test',
        SubscriberKey: 'c-held',
        Status: 'Held',
    });

    const definition = {
        definitionKey: KEY,
        name: 'Order confirmation',
        description: 'Created by sfmc-sdk',
        status: 'Active',
        classification: 'Default Transactional',
        content: { customerKey: 'order-email' },
        subscriptions: {
            list: 'tx-list',
            dataExtension: 'OrderSends',
            autoAddSubscriber: true,
            updateSubscriber: true,
        },
        options: { trackLinks: true },
    };
    result.created = await sdk.rest.post(DEFS, definition);
    result.duplicate = await outcome(() => sdk.rest.post(DEFS, definition));
    result.second = await sdk.rest.post(DEFS, {
        ...definition,
        definitionKey: 'shipping-notice',
        name: 'Shipping notice',
        status: 'Inactive',
    });
    result.got = await sdk.rest.get(`${DEFS}/${KEY}`);
    result.listed_active = await sdk.rest.get(
        `${DEFS}?$filter=status%20eq%20active&$pageSize=10&$page=1&$orderBy=name`
    );
    // Every definition by name (the demo's too), then the same one a page at a time.
    result.listed_all = await sdk.rest.get(`${DEFS}?$orderBy=name&$pageSize=50`);
    result.listed_pages = [];
    for (let page = 1; page <= result.listed_all.definitions.length + 1; page++) {
        result.listed_pages.push(await sdk.rest.get(`${DEFS}?$pageSize=1&$page=${page}&$orderBy=name`));
    }
    // getBulk knows this API: it pages with $page/$pageSize over `definitions`.
    result.bulk = await sdk.rest.getBulk(DEFS, 1);

    // One recipient, then its status by messageKey.
    result.single = await sdk.rest.post(`${MESSAGES}/msg-ann`, {
        definitionKey: KEY,
        recipient: recipient('c-ann', 'ann@example.test', { FirstName: 'ann', OrderNo: '1001' }),
    });
    result.single_status = await statusOf(sdk, 'msg-ann', ['EmailSent', 'EmailNotSent']);
    result.reused = await outcome(() =>
        sdk.rest.post(`${MESSAGES}/msg-ann`, {
            definitionKey: KEY,
            recipient: recipient('c-ann', 'ann@example.test', { FirstName: 'Ann', OrderNo: '1' }),
        })
    );

    // A batch: shared attributes, one unsubscribed (sent: transactional), one held (not sent),
    // one without an address (refused in the reply), one without a messageKey (generated).
    result.batch = await sdk.rest.post(MESSAGES, {
        definitionKey: KEY,
        attributes: { OrderNo: '2000' },
        recipients: [
            recipient('c-bob', 'bob@example.test', { FirstName: 'bob' }, 'msg-bob'),
            recipient('c-gone', 'gone@example.test', { FirstName: 'gus' }, 'msg-gone'),
            recipient('c-held', 'held@example.test', { FirstName: 'hal' }, 'msg-held'),
            recipient('c-none', null, { FirstName: 'nobody' }, 'msg-none'),
            recipient('c-cy', 'cy@example.test', { FirstName: 'cy', OrderNo: '2001' }),
        ],
    });
    result.batch_status = {};
    for (const key of ['msg-bob', 'msg-gone', 'msg-held']) {
        result.batch_status[key] = await statusOf(sdk, key, ['EmailSent', 'EmailNotSent']);
    }
    result.none_status = await outcome(() => sdk.rest.get(`${MESSAGES}/msg-none`));
    const many = Array.from({ length: 2001 }, (_, i) =>
        recipient(`c-${i}`, `r${i}@example.test`, {}, `many-${i}`)
    );
    result.too_many = await outcome(() =>
        sdk.rest.post(MESSAGES, { definitionKey: KEY, recipients: many })
    );
    result.unknown_definition = await outcome(() =>
        sdk.rest.post(`${MESSAGES}/msg-unknown`, {
            definitionKey: 'no-such-definition',
            recipient: recipient('c-x', 'x@example.test', {}),
        })
    );

    // Paused: the message queues and the start delivers it.
    result.pause = await sdk.rest.patch(`${DEFS}/${KEY}`, { status: 'Inactive' });
    await sdk.rest.post(`${MESSAGES}/msg-queued`, {
        definitionKey: KEY,
        recipient: recipient('c-dee', 'dee@example.test', { FirstName: 'dee', OrderNo: '3001' }),
    });
    await sleep(1200); // workers poll every 0.5 s: a paused definition must not mail
    result.queued_status = await sdk.rest.get(`${MESSAGES}/msg-queued`);
    result.queue_paused = await sdk.rest.get(`${DEFS}/${KEY}/queue`);
    result.resume = await sdk.rest.patch(`${DEFS}/${KEY}`, { status: 'Active' });
    result.queued_then = await statusOf(sdk, 'msg-queued', ['EmailSent', 'EmailNotSent']);
    result.queue_after = await sdk.rest.get(`${DEFS}/${KEY}/queue`);

    // Paused again, and the queue dropped: that message is not sent.
    await sdk.rest.patch(`${DEFS}/${KEY}`, { status: 'Inactive' });
    await sdk.rest.post(`${MESSAGES}/msg-dropped`, {
        definitionKey: KEY,
        recipient: recipient('c-eve', 'eve@example.test', { FirstName: 'eve', OrderNo: '3002' }),
    });
    result.queue_deleted = await sdk.rest.delete(`${DEFS}/${KEY}/queue`);
    result.dropped_status = await sdk.rest.get(`${MESSAGES}/msg-dropped`);
    await sdk.rest.patch(`${DEFS}/${KEY}`, { status: 'Active' });
    result.queue_delete_active_refused = await outcome(() =>
        sdk.rest.delete(`${DEFS}/${KEY}/queue`)
    );

    // The not-sent feed, from the start and then after its first event.
    result.not_sent = await sdk.rest.get(`${MESSAGES}/?type=notSent&$pagesize=20`);
    const first = result.not_sent.messages[0]?.eventID ?? 0;
    result.not_sent_after_first = await sdk.rest.get(
        `${MESSAGES}/?type=notSent&$pagesize=20&lastEventId=${first}`
    );
    result.not_sent_page = await sdk.rest.get(`${MESSAGES}/?type=notSent&$pagesize=1`);
}

async function eventsPhase(sdk) {
    const byDefinition = {
        filter: {
            leftOperand: 'TriggeredSendDefinitionObjectID',
            operator: 'equals',
            rightOperand: env.DEFINITION_ID,
        },
    };
    for (const [name, type] of [
        ['sent_events', 'SentEvent'],
        ['open_events', 'OpenEvent'],
        ['click_events', 'ClickEvent'],
        ['not_sent_events', 'NotSentEvent'],
    ]) {
        result[name] = await outcome(() =>
            sdk.soap.retrieve(type, ['SubscriberKey', 'EventType', 'SendID'], byDefinition)
        );
    }
    result.deleted = await sdk.rest.delete(`${DEFS}/${KEY}`);
    result.after_delete = await outcome(() => sdk.rest.get(`${DEFS}/${KEY}`));
    result.send_deleted = await outcome(() =>
        sdk.rest.post(`${MESSAGES}/msg-after-delete`, {
            definitionKey: KEY,
            recipient: recipient('c-ann', 'ann@example.test', {}),
        })
    );
    result.listed_after_delete = await sdk.rest.get(`${DEFS}?$filter=status%20neq%20deleted`);
}

try {
    const SDK = await loadSdk();
    const sdk = makeSdk(SDK);
    await (env.PHASE === 'events' ? eventsPhase(sdk) : sendPhase(sdk));
} catch (error) {
    result.error = `${error.name}: ${error.message}\n${error.stack}\nbody: ${JSON.stringify(
        error.response?.data ?? error.json ?? null
    )}`;
}
process.stdout.write(MARKER + JSON.stringify(result) + '\n');
