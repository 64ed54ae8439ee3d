"""Runs the member-role template's OIDC provider custom resource (rOidcProviderFunction's inline code, extracted by
Tests/Infrastructure/OidcProviderHandlerTests.cs into argv[1]/index.py) against moto's IAM in-process, with a local
HTTP server standing in for CloudFormation's pre-signed response URL. moto 5.2 does not implement
AddClientIDToOpenIDConnectProvider / RemoveClientIDFromOpenIDConnectProvider: IamWithClientIds adds those two calls on
moto's own stored provider; every other call is moto's."""
import http.server
import json
import sys
import threading
import unittest

import boto3
import botocore.config
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.iam.models import iam_backends

sys.path.insert(0, sys.argv.pop(1))
import index  # noqa: E402

TENANT = '8f3c2a1e-0000-4000-8000-0000000000aa'
URL = f'https://sts.windows.net/{TENANT}/'
AUDIENCE = f'api://{TENANT}/sgbridge-aws'
STACK = 'arn:aws:cloudformation:us-east-1:123456789012:stack/StackSet-sgbridge-role-1/11111111-2222-3333-4444-555555555555'
OTHER_STACK = 'arn:aws:cloudformation:us-east-1:123456789012:stack/other/99999999-2222-3333-4444-555555555555'


class IamWithClientIds:
    def __init__(self, client):
        self._client = client

    def __getattr__(self, name):
        return getattr(self._client, name)

    def _provider(self, arn):
        return iam_backends[DEFAULT_ACCOUNT_ID]['global'].get_open_id_connect_provider(arn)

    def add_client_id_to_open_id_connect_provider(self, OpenIDConnectProviderArn, ClientID):
        provider = self._provider(OpenIDConnectProviderArn)
        if ClientID not in provider.client_id_list:
            provider.client_id_list.append(ClientID)

    def remove_client_id_from_open_id_connect_provider(self, OpenIDConnectProviderArn, ClientID):
        provider = self._provider(OpenIDConnectProviderArn)
        provider.client_id_list = [c for c in provider.client_id_list if c != ClientID]


class Responses(http.server.BaseHTTPRequestHandler):
    received = []

    def do_PUT(self):
        Responses.received.append(json.loads(self.rfile.read(int(self.headers['Content-Length']))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


class HandlerTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = http.server.HTTPServer(('127.0.0.1', 0), Responses)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()

    def setUp(self):
        self.mock = mock_aws()
        self.mock.start()
        self.iam = IamWithClientIds(boto3.client('iam', region_name='us-east-1'))
        Responses.received.clear()

    def tearDown(self):
        self.mock.stop()

    def send(self, kind, stack=STACK, audience=AUDIENCE, physical=None, old=None):
        event = {
            'RequestType': kind, 'StackId': stack, 'RequestId': f'req-{len(Responses.received)}',
            'LogicalResourceId': 'rOidcProviderLookup',
            'ResponseURL': f'http://127.0.0.1:{self.server.server_port}/response',
            'ResourceProperties': {'ServiceToken': 'arn:aws:lambda:x', 'Url': URL, 'ClientId': audience, 'Thumbprint': ''},
        }
        if physical:
            event['PhysicalResourceId'] = physical
        if old:
            event['OldResourceProperties'] = old
        index.handler(event, None, iam=self.iam)
        return Responses.received[-1]

    def providers(self):
        return [p['Arn'] for p in self.iam.list_open_id_connect_providers()['OpenIDConnectProviderList']]

    def clients(self, arn):
        return self.iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)['ClientIDList']

    def test_missing_provider_is_created_with_the_audience_and_deleted_with_the_stack(self):
        answer = self.send('Create')
        self.assertEqual('SUCCESS', answer['Status'], answer['Reason'])
        arn = answer['Data']['Arn']
        self.assertEqual([arn], self.providers())
        self.assertTrue(arn.endswith(f':oidc-provider/sts.windows.net/{TENANT}/'), arn)
        self.assertEqual(arn, answer['PhysicalResourceId'])
        self.assertEqual([AUDIENCE], self.clients(arn))

        self.assertEqual('SUCCESS', self.send('Delete', physical=arn)['Status'])
        self.assertEqual([], self.providers())

    def test_existing_provider_is_reused_gets_the_audience_and_survives_the_stack(self):
        existing = self.iam.create_open_id_connect_provider(Url=URL, ClientIDList=['their-app'])['OpenIDConnectProviderArn']

        answer = self.send('Create')
        self.assertEqual('SUCCESS', answer['Status'], answer['Reason'])
        self.assertEqual(existing, answer['Data']['Arn'])
        self.assertEqual([existing], self.providers())
        self.assertEqual(['their-app', AUDIENCE], self.clients(existing))

        self.assertEqual('SUCCESS', self.send('Delete', physical=existing)['Status'])
        self.assertEqual([existing], self.providers())  # not ours: it stays
        self.assertEqual(['their-app'], self.clients(existing))  # only the audience we added goes

    def test_existing_provider_that_already_holds_the_audience_is_left_exactly_as_it_was(self):
        existing = self.iam.create_open_id_connect_provider(Url=URL, ClientIDList=[AUDIENCE])['OpenIDConnectProviderArn']

        self.assertEqual(existing, self.send('Create')['Data']['Arn'])
        self.assertEqual('SUCCESS', self.send('Delete', physical=existing)['Status'])

        self.assertEqual([existing], self.providers())
        self.assertEqual([AUDIENCE], self.clients(existing))

    def test_another_stacks_provider_is_not_deleted_by_this_one(self):
        arn = self.send('Create', stack=OTHER_STACK)['Data']['Arn']
        self.assertEqual(arn, self.send('Create')['Data']['Arn'])
        self.send('Delete', physical=arn)
        self.assertEqual([arn], self.providers())

    def test_update_to_a_new_audience_replaces_the_one_this_stack_put_there(self):
        arn = self.send('Create')['Data']['Arn']
        answer = self.send('Update', audience='api://new/sgbridge-aws', physical=arn,
                           old={'Url': URL, 'ClientId': AUDIENCE, 'Thumbprint': ''})
        self.assertEqual(('SUCCESS', arn), (answer['Status'], answer['PhysicalResourceId']))
        self.assertEqual(['api://new/sgbridge-aws'], self.clients(arn))

    def test_a_failure_is_reported_to_cloudformation_not_left_hanging(self):
        unreachable = botocore.config.Config(retries={'max_attempts': 1}, connect_timeout=1)
        self.iam = IamWithClientIds(boto3.client('iam', region_name='us-east-1', endpoint_url='http://127.0.0.1:9', config=unreachable))
        answer = self.send('Create')
        self.assertEqual('FAILED', answer['Status'])
        self.assertTrue(answer['Reason'])
        self.assertEqual('rOidcProviderLookup', answer['PhysicalResourceId'])


if __name__ == '__main__':
    unittest.main(verbosity=2)
