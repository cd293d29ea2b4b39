// Test servers for model sources: a fake Hugging Face Hub and a real S3 server (versitygw).
'use strict';

const { startFakeHub, defaultRepos, bytes } = require('./fakeHub');
const { startS3, buildS3 } = require('./s3');

module.exports = { startFakeHub, defaultRepos, bytes, startS3, buildS3 };
