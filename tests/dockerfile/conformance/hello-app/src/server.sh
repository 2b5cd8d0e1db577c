#!/bin/sh
echo serving on 8080
